/** Contract of the virtio split ring (driver side on the card, device side on the host) and status/features (issue 4). Types only. */
export interface RingComponents {}
