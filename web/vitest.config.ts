import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import { chromiumArgs, chromiumPath } from './chromium.config.ts';

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [react()],
        test: {
          name: 'unit',
          environment: 'jsdom',
          include: ['src/**/*.test.{ts,tsx}'],
          setupFiles: ['src/test/setup.ts'],
          restoreMocks: true,
          // One jsdom per worker instead of per file: 3x faster; every test
          // cleans up (RTL cleanup, MSW reset, cookies cleared) in src/test/setup.ts.
          isolate: false,
        },
      },
      {
        plugins: [storybookTest({ configDir: '.storybook' })],
        // Pre-bundle every dependency up front: when Vite discovers one in the
        // middle of a run it reloads the page, and a fresh clone (empty cache)
        // would then fail with two copies of React.
        optimizeDeps: {
          include: [
            'react',
            'react/jsx-runtime',
            'react/jsx-dev-runtime',
            'react-dom',
            'react-dom/client',
            'react-router',
            '@tanstack/react-query',
            '@tanstack/react-table',
            '@radix-ui/react-dialog',
            '@radix-ui/react-dropdown-menu',
            '@radix-ui/react-popover',
            '@radix-ui/react-toast',
            'msw',
            'msw/browser',
            'msw-storybook-addon/csf3',
            'echarts/core',
            'echarts/charts',
            'echarts/components',
            'echarts/renderers',
          ],
        },
        test: {
          name: 'storybook',
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
