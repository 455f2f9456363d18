/**
 * The card kernel command line mpssd writes to sysfs `cmdline` before booting (facts §8.1, §8.5):
 * TSC clock, no high-res timers or nohz, the card's power-state switches, and the static address
 * 172.31.<id+1>.1/24 of the card end of the virtio-net link (the host TAP is .254). The host driver
 * prepends " mem=<MiB>M" (facts §3.2 step 6).
 */
export function mpssdCmdline(cardId: number): string {
  return `clocksource=tsc highres=off nohz=off cpufreq_on;corec6_off;pc3_off;pc6_off ifcfg=static;address,172.31.${cardId + 1}.1;netmask,255.255.255.0`;
}
