export * from './types';
export * from './catalog';
export * from './canonical';
export * from './identifiers';
export * from './generator';
export * from './validation';
