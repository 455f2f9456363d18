/**
 * The project's own requirements table: every virtio requirement id of
 * reference/virtio-requirements.md and every section of reference/mic-x100-facts.md, each with one
 * line in our words, so that every citation in the code (`RING-14`, `facts §6.5`) resolves here
 * without the reference documents at hand. properties/meta/citations.test.ts keeps code and table
 * in step; `micvop models --trace` prints the table with what cites each row.
 *
 * Scope of a virtio requirement, for the legacy MIC transport (0.9.x split rings in a device page,
 * doorbells instead of PCI notify registers, 32 feature bits, little-endian on both sides):
 *  - 'modelled': the model and the implementation follow it and at least one property cites it;
 *  - 'not-yet': it applies to this system but no property checks it yet (reason says why / where
 *    it is covered otherwise); this list may only shrink;
 *  - 'out-of-scope': the MIC stack never uses the mechanism (reason says why).
 */

export type RequirementGroup =
  | 'RING' | 'NOTIF' | 'ORD' | 'STATUS' | 'RESET' | 'FEAT' | 'CFG' | 'PCI' | 'NET' | 'BLK' | 'CON' | 'LEG';

export type RequirementScope = 'modelled' | 'not-yet' | 'out-of-scope';

export interface RequirementEntry {
  /** what the rule asks, in one line, in our words */
  readonly says: string;
  readonly scope: RequirementScope;
  /** why it is out of scope or not checked yet (required for those two scopes) */
  readonly reason?: string;
}

const M = (says: string): RequirementEntry => ({ says, scope: 'modelled' });
const OUT = (says: string, reason: string): RequirementEntry => ({ says, scope: 'out-of-scope', reason });
const YET = (says: string, reason: string): RequirementEntry => ({ says, scope: 'not-yet', reason });

const DEVICES_YET = 'the device properties (properties/devices/) are being written';
const PCI_ONLY = 'virtio PCI transport: MIC carries virtio in a device page with doorbells, not PCI capabilities';

export const REQUIREMENTS = {
  // --- A. split virtqueue structure
  'RING-01': M('queue sizes are powers of two in 1..32768; a driver may only shrink to another power of two'),
  'RING-02': M(
    'desc table, avail ring and used ring sit at 16-, 2- and 4-byte alignment and span 16n, 6+2n and 6+8n bytes',
  ),
  'RING-03': M(
    'the three ring areas are placed independently and each has one writer: driver for desc/avail, device for used',
  ),
  'RING-04': YET(
    'a descriptor is 16 bytes: addr u64, len u32, flags u16 (NEXT 1, WRITE 2, INDIRECT 4), next u16',
    'pinned by the golden layout tests and the C cross-check against linux/virtio_ring.h, not by a property',
  ),
  'RING-05': M(
    'inside a chain (and an indirect table) every device-readable descriptor precedes every device-writable one',
  ),
  'RING-06': M(
    'the device reads and writes a chain as byte streams: how it is cut into descriptors changes nothing',
  ),
  'RING-07': M('the device never writes a device-readable buffer or the descriptor table'),
  'RING-08': M(
    'a chain has at most queue-size descriptors and at most 2^32 bytes, so a loop is an error and the walk is bounded',
  ),
  'RING-09': M('`next` counts only with NEXT set and must index the same table; an out-of-range next is an error'),
  'RING-10': M('INDIRECT only when negotiated, never together with NEXT, and never inside an indirect table'),
  'RING-11': M('an indirect table holds len/16 descriptors walked from entry 0; a zero or ragged length is an error'),
  'RING-12': YET(
    'the WRITE bit of an indirect pointer is ignored and a direct prefix may end in one indirect descriptor',
    'the device honours it (impl/virtio/ring/device.ts) but no generator builds such chains yet',
  ),
  'RING-13': M(
    'avail ring = flags, idx, ring[n], used_event; the k-th head goes to slot k mod n and idx wraps at 2^16',
  ),
  'RING-14': M('avail idx never moves back and never runs more than the queue size ahead of the used idx'),
  'RING-15': M(
    'used ring = flags, idx, ring[n] of (id, len), avail_event; each exposed head returns once, len = bytes written',
  ),
  'RING-16': M(
    'the used element and at least len bytes of data are written before the used idx moves; len is never overstated',
  ),
  'RING-17': M('the driver relies only on the first len bytes of a returned writable area'),
  'RING-18': M('without IN_ORDER buffers may come back in any order; the driver matches completions by head id'),
  'RING-19': M(
    'the driver leaves the descriptors and entries of in-flight chains alone until they return or a reset ends',
  ),
  'RING-20': M('ring areas start zeroed and from then on only the device writes the used ring'),
  // --- B. notifications and suppression
  'NOTIF-01': M(
    'without event index avail.flags is NO_INTERRUPT or 0, and the device interrupts exactly when it saw 0',
  ),
  'NOTIF-02': M(
    'with event index the device interrupts when used_event lies in the window of used indices it just published',
  ),
  'NOTIF-03': M(
    'kick suppression mirrors interrupts: used.flags NO_NOTIFY without event index, avail_event window with it',
  ),
  'NOTIF-04': M('both sides tolerate notifications that announce nothing new (spurious kicks and interrupts)'),
  'NOTIF-05': M('a side re-enabling notifications must re-check the ring after a full barrier or a wakeup is lost'),
  'NOTIF-06': OUT(
    'a PCI kick is a 16/32-bit write of the queue (and NOTIFICATION_DATA) at the notify capability address',
    'MIC kicks ring one doorbell per device (facts §6.3), there is no notify capability',
  ),
  // --- C. memory ordering
  'ORD-01': M('descriptors and avail slots of a batch are visible before the avail idx store that publishes them'),
  'ORD-02': M('a full barrier separates the avail idx store from reading the device suppression fields'),
  'ORD-03': M(
    'buffer data and used elements are visible before the used idx store (posted PCIe writes keep their order)',
  ),
  'ORD-04': M('the device reads avail idx first and only then the slots and descriptors below it, never beyond it'),
  'ORD-05': YET(
    'the driver reads used idx first and only then the used element and the data',
    'the publication oracle checks the host\'s stores; the card\'s read order is not observed by any property yet',
  ),
  'ORD-06': OUT(
    'with ORDER_PLATFORM the driver uses barriers that order against real DMA hardware',
    'feature bit 36 is beyond the 32 bits the legacy MIC transport carries (facts §6.3)',
  ),
  // --- D. device status and initialization
  'STATUS-01': M(
    'status is 0 at power-on and reset; bits ACKNOWLEDGE 1, DRIVER 2, DRIVER_OK 4, FEATURES_OK 8,' +
      ' NEEDS_RESET 64, FAILED 128',
  ),
  'STATUS-02': M(
    'initialization runs reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, setup, DRIVER_OK, never clearing a bit',
  ),
  'STATUS-03': OUT(
    'before FEATURES_OK the driver may read but not write device config',
    'legacy has no FEATURES_OK step (LEG-03)',
  ),
  'STATUS-04': M('until DRIVER_OK the device processes no buffers and sends no used notifications'),
  'STATUS-05': YET(
    'the driver sends no kick before DRIVER_OK (it may pre-fill queues)',
    'the card refuses buffers while not live, but no property watches its doorbells against DRIVER_OK yet',
  ),
  'STATUS-06': M('on a fatal setup problem the driver sets FAILED, stops, and resets before trying again'),
  'STATUS-07': M('a device error that needs a reset sets DEVICE_NEEDS_RESET; the driver recovers only by resetting'),
  // --- E. reset
  'RESET-01': M(
    'writing status 0 resets the device, which then touches no queue memory and sends nothing until re-initialised',
  ),
  'RESET-02': M('the driver waits for the reset to complete before reusing or freeing queue memory'),
  'RESET-03': M('reset returns features, queue state and ring indices to their power-on values'),
  'RESET-04': M('a feature set accepted once is accepted again after a reset'),
  // --- F. feature negotiation
  'FEAT-01': M('accepted features are a subset of the offered ones, closed under dependencies, without unknown bits'),
  'FEAT-02': M('the device offers nothing it cannot honour and refuses an unsupported accepted set'),
  'FEAT-03': M('FEATURES_OK is re-read and absent means unusable; after it the feature set is frozen until reset'),
  'FEAT-04': OUT(
    'VERSION_1 (bit 32) is offered by compliant devices and accepted by drivers; its absence means legacy',
    'the MIC card accumulates features into 32 bits, so bit 32 never travels (facts §6.3)',
  ),
  'FEAT-05': OUT('feature words are read and written through 32-bit select windows', PCI_ONLY),
  'FEAT-06': M('a device whose DMA is restricted or translated accesses only what the platform mapped for it'),
  'FEAT-07': OUT(
    'a split-ring implementation never offers RING_PACKED; IN_ORDER forces completion in order',
    'bits 34 and 35 are beyond the 32 bits the legacy MIC transport carries; packed rings are disabled (facts §6.1)',
  ),
  // --- G. configuration space
  'CFG-01': OUT(
    'config_generation changes whenever a read could be torn; multi-field reads retry on it',
    'legacy has no generation counter (LEG-08)',
  ),
  'CFG-02': OUT('modern config is little-endian, accessed naturally sized, 64-bit fields as two halves', PCI_ONLY),
  'CFG-03': YET(
    'optional config fields are touched only when their feature is offered and are readable before FEATURES_OK',
    DEVICES_YET,
  ),
  'CFG-04': OUT(
    'the driver accepts config regions and capabilities longer than it knows',
    'PCI capability lists do not exist on MIC; config_len comes with the device entry (facts §5.3)',
  ),
  'CFG-05': OUT(
    'config changes and NEEDS_RESET raise a config interrupt through ISR bit 1 or the config MSI-X vector',
    'MIC signals config changes with CONFIG_CHANGE, config_change and h2c_config_db (facts §6.5), no ISR or MSI-X',
  ),
  'CFG-06': OUT('the driver never writes read-only common-config fields', PCI_ONLY),
  // --- H. PCI transport
  'PCI-01': OUT(
    'virtio PCI functions use vendor 0x1AF4 and device ids 0x1040+type (transitional 0x1000..0x103F)',
    'the X100 is an Intel (0x8086) endpoint; virtio devices are device-page entries (facts §1.1, §5)',
  ),
  'PCI-02': OUT(
    'virtio structures are found through vendor capabilities COMMON, NOTIFY, ISR, DEVICE, PCI_CFG',
    PCI_ONLY,
  ),
  'PCI-03': OUT(
    'queues are brought up by select, size, addresses, then queue_enable = 1 last',
    'MIC queues come from ADD_DEVICE and the used_address handshake (facts §6.3, §6.5)',
  ),
  'PCI-04': OUT('notify_off_multiplier and the notify region obey size and alignment rules', PCI_ONLY),
  'PCI-05': OUT('ISR bit 0 is queue, bit 1 config; a read returns and clears them', PCI_ONLY),
  'PCI-06': OUT('MSI-X vectors are 0..0x7FF or NO_VECTOR, read back to verify', PCI_ONLY),
  // --- I. virtio-net
  'NET-01': M('net is device id 1: rx queue 2k, tx queue 2k+1, control queue after them with CTRL_VQ'),
  'NET-02': M('every rx/tx packet starts with virtio_net_hdr: 10 bytes in legacy without MRG_RXBUF, 12 in 1.x'),
  'NET-03': YET(
    'transmit headers: num_buffers 0, flags and gso_type only as negotiated, GSO needs NEEDS_CSUM and gso_size',
    DEVICES_YET,
  ),
  'NET-04': YET(
    'NEEDS_CSUM asks for the ones-complement sum from csum_start stored at csum_start+csum_offset',
    DEVICES_YET,
  ),
  'NET-05': M('without MRG_RXBUF each received packet fills exactly one chain and receive buffers are big enough'),
  'NET-06': OUT(
    'with MRG_RXBUF a packet may span several buffers, num_buffers counts them, all used together',
    'mpssd never offers MRG_RXBUF (facts §8.2)',
  ),
  'NET-07': YET(
    'receive headers: flags and gso_type only as negotiated, DATA_VALID only after a real check',
    DEVICES_YET,
  ),
  'NET-08': YET('the receiving driver ignores unknown flags and unused checksum fields', DEVICES_YET),
  'NET-09': YET(
    'mac is config offset 0, meaningful only with F_MAC; otherwise the driver picks a local unicast address',
    DEVICES_YET,
  ),
  'NET-10': OUT(
    'link status lives at config offset 6 with F_STATUS; without it the link is up',
    'mpssd never offers VIRTIO_NET_F_STATUS (facts §8.2)',
  ),
  'NET-11': YET(
    'net feature dependencies hold on both sides (e.g. GUEST_TSO4 needs GUEST_CSUM, GUEST_ECN needs a TSO)',
    DEVICES_YET,
  ),
  'NET-12': OUT(
    'F_MTU bounds frame sizes and F_MQ bounds max_virtqueue_pairs',
    'mpssd offers neither F_MTU nor F_MQ (facts §8.2)',
  ),
  'NET-13': OUT(
    'control requests are class, command, data, ack with OK/ERR written by the device',
    'mpssd offers no control queue (facts §8.2)',
  ),
  // --- J. virtio-blk
  'BLK-01': YET('block is device id 2 with request queues 0..N-1 (N = 1 without F_MQ)', DEVICES_YET),
  'BLK-02': M('a block request is a 16-byte readable header, the data, and one writable status byte at the very end'),
  'BLK-03': M('request types IN 0, OUT 1, FLUSH 4, GET_ID 8 ...; status OK 0, IOERR 1, UNSUPP 2, always written'),
  'BLK-04': M('sector and capacity count 512-byte units whatever blk_size says; IN/OUT lengths are multiples of 512'),
  'BLK-05': M('no request reaches past capacity; a robust device answers IOERR and changes nothing'),
  'BLK-06': M('a device that offers RO fails every write with IOERR and changes no data'),
  'BLK-07': M('FLUSH has sector 0 and no data; a completed flush makes every earlier completed write durable'),
  'BLK-08': YET('FLUSH should always be offered; CONFIG_WCE and writeback rules; padding bytes read 0', DEVICES_YET),
  'BLK-09': M('with SEG_MAX and SIZE_MAX a request stays within seg_max data segments of at most size_max bytes'),
  'BLK-10': M('GET_ID returns a NUL-padded ASCII id in exactly 20 writable bytes'),
  'BLK-11': OUT(
    'DISCARD / WRITE_ZEROES / SECURE_ERASE carry 16-byte segments with flag rules',
    'mpssd offers none of these features (facts §8.2)',
  ),
  'BLK-12': YET(
    'capacity may change at run time, announced by a config change, and the driver re-reads it',
    DEVICES_YET,
  ),
  'BLK-13': M('the used len of a block request counts the data written plus the status byte'),
  // --- K. virtio-console
  'CON-01': M('console is device id 3: port 0 receiveq 0 and transmitq 1, control queues only with MULTIPORT'),
  'CON-02': M('receive queues get device-writable buffers only, transmit queues device-readable only'),
  'CON-03': YET(
    'console config: cols, rows (with SIZE), max_nr_ports (MULTIPORT), emerg_wr (EMERG_WRITE)',
    DEVICES_YET,
  ),
  'CON-04': OUT(
    'emerg_wr accepts a byte at any time, even before negotiation',
    'mpssd never offers EMERG_WRITE (facts §8.2)',
  ),
  'CON-05': OUT(
    'multiport control messages are 8 bytes: id, event, value, with the event codes 0..7',
    'mpssd offers no MULTIPORT (facts §8.2)',
  ),
  'CON-06': OUT(
    'with MULTIPORT the driver sends DEVICE_READY, PORT_READY and PORT_OPEN as the protocol asks',
    'mpssd offers no MULTIPORT (facts §8.2)',
  ),
  'CON-07': OUT(
    'the device adds only new port ids below max_nr_ports and removes only ports it added',
    'mpssd offers no MULTIPORT (facts §8.2)',
  ),
  // --- L. legacy interface
  'LEG-01': OUT(
    'legacy rings, headers and config use the guest\'s native byte order',
    'card and host are both little-endian x86, so native order is little-endian everywhere',
  ),
  'LEG-02': YET(
    'a legacy ring is one block: desc, avail, padding to 4096, used; size per Linux vring_size',
    'pinned by the golden layout tests and the C cross-check of model/layout/vring.ts, not by a property',
  ),
  'LEG-03': M('legacy has no FEATURES_OK, carries feature bits 0..31 only, and tolerates use before DRIVER_OK'),
  'LEG-04': YET(
    'without ANY_LAYOUT drivers keep the fixed legacy framing (headers and status in their own descriptors)',
    DEVICES_YET,
  ),
  'LEG-05': YET('the legacy net header is 10 bytes, 12 with MRG_RXBUF', DEVICES_YET),
  'LEG-06': OUT(
    'NOTIFY_ON_EMPTY (bit 24) forces an interrupt on an empty queue; bit 30 is never negotiated',
    'mpssd never offers NOTIFY_ON_EMPTY (facts §8.2)',
  ),
  'LEG-07': OUT(
    'the legacy PCI register block sits in I/O BAR0 with config at offset 20 or 24',
    'legacy virtio PCI I/O registers do not exist on MIC; the device page replaces them (facts §5)',
  ),
  'LEG-08': YET(
    'without a generation counter the driver re-reads multi-byte config until two reads agree',
    DEVICES_YET,
  ),
  'LEG-09': YET('legacy drivers ignore used len on net tx, block and console transmit queues', DEVICES_YET),
  'LEG-10': YET('legacy block: ioprio field, FLUSH_OUT as FLUSH, BARRIER and SCSI types, F_WCE naming', DEVICES_YET),
} as const satisfies Readonly<Record<string, RequirementEntry>>;

/** a requirement id of the table above, e.g. "RING-08" (the one type of that name) */
export type RequirementId = keyof typeof REQUIREMENTS;

export const REQUIREMENT_IDS = Object.keys(REQUIREMENTS) as readonly RequirementId[];

export const isRequirementId = (s: string): s is RequirementId => Object.hasOwn(REQUIREMENTS, s);

export const requirementGroup = (id: RequirementId): RequirementGroup =>
  id.slice(0, id.indexOf('-')) as RequirementGroup;

/**
 * The sections of reference/mic-x100-facts.md (there is no §9), each titled in our words.
 * A citation `facts §6.5` resolves when its section is here.
 */
export const FACTS_SECTIONS = {
  '§0': 'history of the driver stack and the three eras it went through',
  '§1': 'the card as the host sees it over PCIe',
  '§1.1': 'PCI identity of the X100 and its BARs',
  '§1.2': 'MMIO (SBOX) registers the drivers use',
  '§1.3': 'host interrupt sources and their bits',
  '§1.4': 'host-to-card interrupts (send_intr)',
  '§1.5': 'card-to-host interrupts and card IRQ numbers',
  '§2': 'SMPT: how host memory appears in the card address space',
  '§3': 'scratchpads and the boot handshake',
  '§3.1': 'card reset',
  '§3.2': 'image download and start in Linux boot mode',
  '§3.3': 'when the host calls the card online',
  '§4': 'state machines of the card',
  '§4.1': 'legacy host driver card states and transitions',
  '§4.2': 'legacy OSPM suspend and resume by the PM notifier',
  '§4.3': 'COSM-era card states',
  '§4.4': 'COSM protocol over SCIF',
  '§4.5': 'sysfs attributes of class mic',
  '§5': 'the 4 KiB device page in host memory',
  '§5.1': 'legacy boot parameter block (16 bytes)',
  '§5.2': 'COSM-era boot parameter block (24 bytes)',
  '§5.3': 'device entry layout: descriptor, vq configs, feature bitmaps, config, ctrl',
  '§5.4': 'how devices are found, added and skipped in the page',
  '§6': 'virtio over PCIe (VOP and legacy mic_virtio)',
  '§6.1': 'roles: host is the virtio device, card the driver',
  '§6.2': 'who allocates rings and buffers and where they live',
  '§6.3': 'card-side virtio config ops: features, status, reset, kick, find_vqs',
  '§6.4': 'host-side per-vq vringh state and the doorbell bottom half',
  '§6.5': 'host char device: ADD_DEVICE, COPY_DESC, CONFIG_CHANGE, poll, mmap',
  '§6.6': 'host data copies: DMA alignment, bounce buffer, CPU fallback',
  '§6.7': 'hot-remove, device removal and card stop',
  '§6.8': 'the 2020 proposals that never merged',
  '§7': 'the X100 DMA engine',
  '§7.1': 'DMA channels and which side owns them',
  '§7.2': 'DMA channel registers',
  '§7.3': 'DMA descriptor ring setup, size and teardown',
  '§7.4': 'DMA descriptor formats',
  '§7.5': 'dmaengine operations and how descriptors are programmed',
  '§7.6': 'the MIC virtual bus (mbus)',
  '§8': 'mpssd, the sample daemon, and its scripts',
  '§8.1': 'daemon process structure and per-card set-up',
  '§8.2': 'virtio devices the daemon offers and their features',
  '§8.3': 'how the daemon uses the rings',
  '§8.4': 'per-device loops: net, console, block',
  '§8.5': 'card command line and addresses',
  '§8.6': 'daemon state handling',
  '§8.7': 'micctrl and the mpss script',
  '§10': 'what was looked for and not found, or not verified',
  '§11': 'quick reference of the numbers a simulator needs',
} as const satisfies Readonly<Record<string, string>>;

export type FactsSection = keyof typeof FACTS_SECTIONS;

export const FACTS_SECTION_IDS = Object.keys(FACTS_SECTIONS) as readonly FactsSection[];

export const isFactsSection = (s: string): s is FactsSection => Object.hasOwn(FACTS_SECTIONS, s);
