import { fileURLToPath } from 'node:url';

/** `templates/` of the installed package; the same relative path from `src/render/` and `dist/render/`. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));
