import type { PropertyDef } from '../harness.ts';
import { vopCopyDesc } from './copyDesc.prop.ts';
import { vopConformance } from './conformance.prop.ts';
import { vopExhaustive } from './exhaustive.prop.ts';
import { vopCopyPaths } from './copyPaths.prop.ts';
import { vopHostileCard } from './hostileCard.prop.ts';
import { vopArgs } from './args.prop.ts';
import { vopPublication } from './publication.prop.ts';
import { vopHostileRing } from './hostileRing.prop.ts';
import { vopDoorbells } from './doorbells.prop.ts';
import { vopCardHeap } from './cardHeap.prop.ts';

/** the virtio-over-PCIe properties, in the order they run */
export const properties: readonly PropertyDef[] = [vopCopyDesc, vopCopyPaths, vopArgs, vopHostileCard, vopConformance, vopExhaustive, vopPublication, vopHostileRing, vopDoorbells, vopCardHeap];
