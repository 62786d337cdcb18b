import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PROCESS_ENV =
  'Only src/system and src/cli read the environment: take the setting from Config (src/system/config.ts).';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'var/',
      'coverage/',
      'bench/results/',
      'reports/',
      '.stryker-tmp/',
      'infra/cdk/cdk.out/',
      '.ci/*.cjs',
      '*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // One typed Config (src/system/config.ts) reads the environment; nothing else does.
    files: ['src/**/*.ts'],
    ignores: ['src/system/**', 'src/cli/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: PROCESS_ENV },
      ],
    },
  },
  {
    // The domain never reads the wall clock or an unseeded random source (DESIGN.md, invariant 2).
    files: ['src/trading/**/*.ts'],
    ignores: ['src/trading/clock/live-clock.ts', 'src/trading/venues/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Take time from the Clock.' },
        { object: 'Math', property: 'random', message: 'Use the seeded random source.' },
        { object: 'performance', property: 'now', message: 'Take time from the Clock.' },
        // Repeated: this block's list replaces the one above for src/trading.
        { object: 'process', property: 'env', message: PROCESS_ENV },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use Clock timers.' },
        { name: 'setInterval', message: 'Use Clock timers.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Take time from the Clock.',
        },
      ],
    },
  },
);
