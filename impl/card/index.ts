/** impl/card: the bootstrap ROM and the card OS (facts §3, §4.1, §5). */
export { Card, CARD_HEAP_BASE } from './card.ts';
export { CardOs } from './os.ts';
export { CardVop } from './vop/transport.ts';
export { CardVdev } from './vop/vdev.ts';
export { CardDoorbells, ringHost } from './doorbells.ts';
export { hostileCardAct } from './hostile.ts';
