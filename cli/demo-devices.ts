/**
 * The devices part of `micvop demo` (issue 11 item 2): a card with console, network and disk, all
 * virtio across PCIe, served by our daemon from in-memory backends. The console shell answers a
 * few commands, a sector written through the shell is read back (and found in the host's store),
 * the card answers a ping of its address inside the simulation, and the three devices come back
 * after an OSPM suspend/resume. Everything printed is read back from the running system.
 */
import type { Implementation, MicSystem } from '../model/contract.ts';
import { MemoryConsole, MemoryDisk, MemoryNet } from '../impl/daemon/backends/index.ts';
import {
  ETH_P_IP, ethHeader, ICMP_ECHO, ICMP_ECHOREPLY, icmpEcho, inetChecksum, IPPROTO_ICMP, ipv4Header, netGet, netSet, parseIpv4,
} from '../model/layout/net-frames.ts';
import { VIRTIO_BLK_SECTOR_SIZE } from '../model/layout/virtio-devices.ts';

const HOST_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0xfe);
const STEPS = 3_000_000;

/** an ICMP echo request from the host's end of the link (172.31.1.254) to `dst` */
function echoRequest(cardMac: Uint8Array, dst: string, seq: number, payload: Uint8Array): Uint8Array {
  const E = ethHeader.size;
  const IP = ipv4Header.size;
  const f = new Uint8Array(E + IP + icmpEcho.size + payload.length);
  f.set(cardMac, ethHeader.fields.dst.offset);
  f.set(HOST_MAC, ethHeader.fields.src.offset);
  netSet(f, 0, ethHeader.fields.ethertype, ETH_P_IP);
  const h = ipv4Header.fields;
  netSet(f, E, h.version_ihl, 0x45);
  netSet(f, E, h.total_length, f.length - E);
  netSet(f, E, h.id, seq);
  netSet(f, E, h.ttl, 64);
  netSet(f, E, h.protocol, IPPROTO_ICMP);
  netSet(f, E, h.saddr, parseIpv4('172.31.1.254')!);
  netSet(f, E, h.daddr, parseIpv4(dst)!);
  netSet(f, E, h.checksum, inetChecksum(f, E, E + IP));
  const c = icmpEcho.fields;
  netSet(f, E + IP, c.type, ICMP_ECHO);
  netSet(f, E + IP, c.id, 0x4d49);
  netSet(f, E + IP, c.sequence, seq);
  f.set(payload, E + IP + icmpEcho.size);
  netSet(f, E + IP, c.checksum, inetChecksum(f, E + IP, f.length));
  return f;
}

export function devicesDemo(impl: Implementation, seed: number, say: (s: string) => void): string | undefined {
  if (impl.system === undefined || impl.daemon === undefined) return 'the implementation has no system or daemon';
  const sys: MicSystem = impl.system.createSystem({ cards: 1, seed, daemon: true, dma: true, devices: [], trace: false });
  const console_ = new MemoryConsole();
  const net = new MemoryNet();
  const disk = new MemoryDisk(1024 * VIRTIO_BLK_SECTOR_SIZE, { id: 'micvop-demo-disk' });
  const daemon = impl.daemon.createDaemon(sys, [{ card: 0, console: console_, net, block: disk }]);
  const errors = daemon.start();
  if (errors.length > 0) return `the daemon could not add its devices: ${errors.join('; ')}`;
  const run = (until: () => boolean): boolean => impl.daemon!.run(sys, daemon, until, { maxSteps: STEPS });
  const s = sys.cardServices(0);
  const live = (): boolean => sys.observe.state(0) === 'online' && s.console.live && s.net.live && s.blk.live;
  const t = (): string => `${(sys.scheduler.now / 1e9).toFixed(3)} s`;
  if (!run(live)) return 'the card never brought its devices up';
  say(`  ${t()}  console, net and block are live on the card (${sys.cardVirtio(0).map((d) => `type ${d.type}@${d.offset}`).join(', ')})`);
  say(`  the card's address from the command line the daemon set: ${s.ip.address}, MAC ${[...s.net.mac].map((b) => b.toString(16).padStart(2, '0')).join(':')}`);

  // the console: type a line, wait for the shell's next prompt, print the answer
  const dec = new TextDecoder();
  const shell = (line: string): string => {
    const from = console_.printed().length;
    console_.type(`${line}\n`);
    const prompt = 'mic0$ ';
    run(() => dec.decode(console_.printed().subarray(from)).includes(`\n${prompt}`) || dec.decode(console_.printed().subarray(from)).endsWith(prompt));
    // the prompt the shell printed before (it may still have been on its way) and after the answer
    const out = dec
      .decode(console_.printed().subarray(from))
      .split(/\r?\n/)
      .map((l) => (l.startsWith(prompt) ? l.slice(prompt.length) : l))
      .filter((l) => l !== '');
    say(`  mic0$ ${line}`);
    for (const l of out) say(`    ${l}`);
    return out.join('\n');
  };
  shell('id');
  shell('uptime');
  shell('devices');
  shell('write 5 hello, disk');
  shell('read 5');
  const stored = dec.decode(disk.bytes.subarray(5 * VIRTIO_BLK_SECTOR_SIZE, 5 * VIRTIO_BLK_SECTOR_SIZE + 11));
  say(`  the host's store, sector 5: "${stored}" (${disk.writes} write(s) reached it)`);

  // a ping of the card, inside the simulation
  const address = s.ip.address ?? '172.31.1.1';
  for (let seq = 1; seq <= 3; seq++) {
    const before = net.fromCard.length;
    net.send(echoRequest(s.net.mac, address, seq, new TextEncoder().encode('micvop ping payload, 56 bytes long....................')));
    run(() => net.fromCard.length > before);
    const reply = net.fromCard[before];
    const E = ethHeader.size + ipv4Header.size;
    const ok = reply !== undefined && netGet(reply, E, icmpEcho.fields.type) === ICMP_ECHOREPLY && netGet(reply, E, icmpEcho.fields.sequence) === seq;
    const sumOk = reply !== undefined && inetChecksum(reply, E, reply.length) === 0;
    say(`  ping ${address}: ${ok ? `echo reply icmp_seq=${seq}, ${reply!.length - E} bytes of ICMP, checksum ${sumOk ? 'valid' : 'WRONG'}` : 'no reply'}`);
  }

  // OSPM suspend and resume: the card goes down and the daemon brings it and its devices back
  const r = sys.pmSuspend();
  if (!('ok' in r)) return `pmSuspend: ${r.errno}`;
  let resumed = false;
  run(() => resumed || (resumed = 'ok' in sys.pmResume()));
  if (!run(live)) return 'the devices did not come back after suspend/resume';
  say(`  ${t()}  after OSPM suspend and resume the card is ${sys.observe.state(0)} and console, net and block are live again`);
  shell('read 5');
  const st = daemon.stats(0);
  say(`  daemon: ${st.map((d) => `${({ 1: 'net', 2: 'block', 3: 'console' } as Record<number, string>)[d.type] ?? d.type} ${d.toCard}↓ ${d.fromCard}↑`).join(', ')} (to card ↓, from card ↑)`);
  return undefined;
}
