export { expandExisting, expandString, resolveVariables, referencedNames } from './expand.js';
