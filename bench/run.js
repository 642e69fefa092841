// npm run bench: every benchmark in turn; figures are written to bench/results/.
import { benchHttp } from './http.js';
import { benchRender } from './render.js';

const only = process.argv[2];
if (!only || only === 'http') await benchHttp();
if (!only || only === 'render') await benchRender();
