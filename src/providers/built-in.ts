// The providers that ship with `ugc`: one line each (the registry takes every export).
export { default as local } from './local.js';
export { default as unrealugc } from './unrealugc.js';
export { default as ultimatecreator } from './ultimatecreator.js';
export { default as ugen } from './ugen.js';
export { default as apex } from './apex.js';
export { default as vidgen } from './vidgen.js';
export { default as elevenlabs } from './elevenlabs.js';
