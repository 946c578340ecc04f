// Headless Debian chromium for the end-to-end scripts (e2e-*.mjs, screenshot.mjs): one set of flags.
// --disable-background-networking and friends: this machine's network is closed, and chromium's own connections
// would be refused many at a time. SwiftShader gives MapLibre a software WebGL context on machines without a GPU
// (--disable-gpu is harmless with it).
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-gl=swiftshader',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
];

/** Launches chromium ($CHROMIUM, else /usr/bin/chromium) with those flags. */
export const launchChromium = () => chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
