import { registerProperties } from '../vitest.ts';
import { properties } from './index.ts';

registerProperties(properties);
