import { ValidationLayer } from './finding';
import { checkDns1123Label, checkLabelValue, checkQualifiedName, nameRuleFor } from './kubernetes-names';
import { RawFinding } from './raw-finding';

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

function apiServer(path: RawFinding['path'], rule: string, problems: string[], what: string): RawFinding[] {
  return problems.map((p) => ({ path, rule, message: `${what} ${p}`, layer: ValidationLayer.API_SERVER }));
}

/**
 * The API server's `ValidateObjectMeta` rules: name by kind, namespace as a DNS-1123 label,
 * label keys and values, annotation keys and total size.
 */
export function checkObjectMeta(obj: any, group: string, kind: string): RawFinding[] {
  const meta = obj?.metadata;
  if (meta === undefined || meta === null || typeof meta !== 'object') {
    return [{ path: ['metadata'], rule: 'metadata', message: 'metadata is required: set metadata.name', layer: ValidationLayer.API_SERVER }];
  }
  const out: RawFinding[] = [];
  if (typeof meta.name !== 'string' || meta.name === '') {
    if (!meta.generateName) {
      out.push({ path: ['metadata', 'name'], rule: 'metadata.name', message: 'name or generateName is required', layer: ValidationLayer.API_SERVER });
    }
  } else {
    out.push(...apiServer(['metadata', 'name'], 'metadata.name', nameRuleFor(group, kind)(meta.name), `name "${meta.name}"`));
  }
  if (typeof meta.namespace === 'string' && meta.namespace !== '') {
    out.push(...apiServer(['metadata', 'namespace'], 'metadata.namespace', checkDns1123Label(meta.namespace), `namespace "${meta.namespace}"`));
  }
  for (const [key, value] of Object.entries((meta.labels ?? {}) as Record<string, unknown>)) {
    out.push(...apiServer(['metadata', 'labels', key], 'label key', checkQualifiedName(key), `label key "${key}":`));
    const text = typeof value === 'string' ? value : String(value);
    out.push(...apiServer(['metadata', 'labels', key], 'label value', checkLabelValue(text), `label value "${text}":`));
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries((meta.annotations ?? {}) as Record<string, unknown>)) {
    out.push(...apiServer(['metadata', 'annotations', key], 'annotation key', checkQualifiedName(key.toLowerCase()), `annotation key "${key}":`));
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  }
  if (annotationBytes > TOTAL_ANNOTATION_SIZE_LIMIT) {
    out.push({
      path: ['metadata', 'annotations'],
      rule: 'annotations size',
      message: `annotations total ${annotationBytes} bytes, more than the ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes the API server accepts`,
      layer: ValidationLayer.API_SERVER,
    });
  }
  return out;
}
