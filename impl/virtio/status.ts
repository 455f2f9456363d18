/**
 * The device's side of the status byte and feature negotiation (STATUS-01/02/06/07, FEAT-01..03,
 * LEG-03). Kept as a register with flags, the way a device does; properties check it against the
 * machine in model/machines/virtio-status.ts. Refused writes are values and change nothing.
 */
import type { DeviceStatus, StatusError, StatusErrorCode } from '../../model/contract.ts';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE as ACK, VIRTIO_CONFIG_S_DRIVER as DRIVER, VIRTIO_CONFIG_S_DRIVER_OK as DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK as FEATURES_OK, VIRTIO_CONFIG_S_NEEDS_RESET as NEEDS_RESET, VIRTIO_CONFIG_S_FAILED as FAILED,
  REQ,
} from '../../model/constants/virtio.ts';
import { LEGACY_FEATURE_MASK } from './features.ts';

const REQ_OF: Record<StatusErrorCode, StatusError['req']> = {
  'status-order': REQ.statusOrder,
  'status-step': REQ.statusOrder,
  'legacy-no-features-ok': REQ.legacyInit,
  'features-not-offered': REQ.featRefuse,
  'features-frozen': REQ.featFrozen,
  'after-failed': REQ.failed,
};

function statusError(code: StatusErrorCode, detail: string): StatusError {
  return { kind: 'status-error', code, req: REQ_OF[code], detail };
}

class StatusRegister implements DeviceStatus {
  readonly legacy: boolean;
  readonly offered: bigint;
  private status = 0;
  private acceptedBits = 0n;

  constructor(legacy: boolean, offered: bigint) {
    this.legacy = legacy;
    this.offered = offered;
  }

  get accepted(): bigint {
    return this.acceptedBits;
  }

  get live(): boolean {
    return (this.status & DRIVER_OK) !== 0 && (this.status & (FAILED | NEEDS_RESET)) === 0;
  }

  read(): number {
    return this.status;
  }

  private offeredMask(): bigint {
    return this.legacy ? this.offered & LEGACY_FEATURE_MASK : this.offered;
  }

  private acceptedOk(): boolean {
    return (this.acceptedBits & ~this.offeredMask()) === 0n;
  }

  write(value: number): StatusError | undefined {
    const v = value & 0xff;
    if (v === 0) {
      // RESET-01/03: back to power-on, negotiated features forgotten
      this.status = 0;
      this.acceptedBits = 0n;
      return undefined;
    }
    // DEVICE_NEEDS_RESET belongs to the device: the driver's copy of that bit is ignored
    const cur = this.status & ~NEEDS_RESET;
    const want = v & ~NEEDS_RESET;
    if ((cur & FAILED) !== 0) return statusError('after-failed', `status ${hex(v)} written after FAILED; only reset is allowed`);
    if ((want & cur) !== cur) return statusError('status-order', `status ${hex(v)} clears bits of ${hex(cur)} without a reset`);
    const added = want & ~cur;
    if (added === 0 || (added & (added - 1)) !== 0) return statusError('status-order', `status ${hex(v)} must add exactly one bit to ${hex(cur)}`);
    switch (added) {
      case ACK:
        if (cur !== 0) return statusError('status-step', 'ACKNOWLEDGE only right after reset');
        break;
      case DRIVER:
        if (cur !== ACK) return statusError('status-step', `DRIVER needs exactly ACKNOWLEDGE, status is ${hex(cur)}`);
        break;
      case FEATURES_OK:
        if (this.legacy) return statusError('legacy-no-features-ok', 'the legacy interface has no FEATURES_OK');
        if (cur !== (ACK | DRIVER)) return statusError('status-step', `FEATURES_OK needs ACKNOWLEDGE|DRIVER, status is ${hex(cur)}`);
        // FEAT-02: the device refuses by leaving FEATURES_OK clear
        if (!this.acceptedOk()) return statusError('features-not-offered', `accepted ${hex(this.acceptedBits)} not within offered ${hex(this.offered)}`);
        break;
      case DRIVER_OK: {
        const need = this.legacy ? ACK | DRIVER : ACK | DRIVER | FEATURES_OK;
        if (cur !== need) return statusError('status-step', `DRIVER_OK needs ${hex(need)}, status is ${hex(cur)}`);
        if (this.legacy && !this.acceptedOk()) return statusError('features-not-offered', `accepted ${hex(this.acceptedBits)} not within offered ${hex(this.offeredMask())}`);
        break;
      }
      case FAILED:
        if (cur === 0) return statusError('status-step', 'FAILED before ACKNOWLEDGE');
        break;
      default:
        return statusError('status-step', `bit ${hex(added)} is not a driver status step`);
    }
    this.status = (this.status & NEEDS_RESET) | want;
    return undefined;
  }

  writeFeatures(accepted: bigint): StatusError | undefined {
    const cur = this.status & ~NEEDS_RESET;
    if ((cur & FAILED) !== 0) return statusError('after-failed', 'feature write after FAILED');
    // FEAT-03: features are written between DRIVER and FEATURES_OK (legacy: DRIVER_OK)
    if (cur !== (ACK | DRIVER)) return statusError('features-frozen', `feature write with status ${hex(cur)}`);
    this.acceptedBits = accepted < 0n ? 0n : accepted;
    return undefined;
  }

  needsReset(): void {
    if (this.status !== 0) this.status |= NEEDS_RESET;
  }
}

function hex(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

export function createDeviceStatus(opts: { legacy: boolean; offered: bigint }): DeviceStatus {
  return new StatusRegister(opts.legacy, opts.offered);
}
