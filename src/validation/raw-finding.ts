import { ValidationLayer } from './finding';
import { PathSegment } from './webhook/types';

/** A finding before it is attached to an object and document index (internal). */
export interface RawFinding {
  readonly path: PathSegment[];
  readonly rule: string;
  readonly message: string;
  readonly layer: ValidationLayer;
}
