import { dirname, join } from 'node:path';
import { defaultDefinitionsDir } from '../../core/messages/definitions-dir.js';
import { readInterfaces } from '../interfaces.js';
import { generateInterfacesTsd } from './interfaces-tsd.js';

/** Where the generated declarations live: `<package root>/src/ros2/tsd/interfaces.d.ts`. */
export function interfacesTsdPath(): string {
  return join(dirname(defaultDefinitionsDir()), '..', 'ros2', 'tsd', 'interfaces.d.ts');
}

/** The text `interfaces.d.ts` must have for the vendored definitions. */
export function renderInterfacesTsd(): string {
  return generateInterfacesTsd(readInterfaces(), 'src/ros2/tsd/generate-interfaces.ts from src/core/messages/definitions and src/ros2/definitions');
}
