// The full set of images the CRI tests push to their local registry.
import { critestImages } from './critest';
import { TestImage } from './oci';
import { tsvisorTestImages } from './testimages';

/** Every image the CRI tests need: tsvisor's own and critest's local equivalents. Deterministic. */
export function buildTestImages(): TestImage[] {
  return [...tsvisorTestImages(), ...critestImages()];
}
