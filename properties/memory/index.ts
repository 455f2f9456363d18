import type { PropertyDef } from '../harness.ts';
import { flatModel } from './flat.prop.ts';
import { windowModel } from './window.prop.ts';
import { copyBetweenModel } from './copyBetween.prop.ts';
import { digestContent } from './digest.prop.ts';
import { pinsTruthful } from './pins.prop.ts';

/** the memory properties, in the order they run */
export const properties: readonly PropertyDef[] = [flatModel, windowModel, copyBetweenModel, digestContent, pinsTruthful];
