// ESLint flat config: typescript-eslint strict + type-checked rules, plus the import zones of
// ../shared/CONVENTIONS.md (core stays platform-free; extension never loads compute runtimes).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const platformBound = [
  'vscode',
  'fs',
  'path',
  'os',
  'child_process',
  'onnxruntime-web',
  'onnxruntime-node',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  '@tensorflow/tfjs-node',
];

export default tseslint.config(
  {
    ignores: [
      '.tmp/**',
      'node_modules/**',
      'dist/**',
      'dist-test/**',
      'dist-bench/**',
      'models/**',
      'test/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.mjs', 'esbuild.mjs', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // node:test's test/describe/it return promises that the runner itself awaits
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after'],
            },
          ],
        },
      ],
    },
  },
  {
    // tfjs ops return Tensor<Rank>; asserting the rank (`as tf.Tensor4D`) documents the shape at each line,
    // which this rule would have us move into generic arguments.
    files: [
      'core/model/**/*.ts',
      'core/prompts/**/*.ts',
      'core/generate/**/*.ts',
      'core/tasks/**/*.ts',
      'core/train/**/*.ts',
    ],
    rules: { '@typescript-eslint/no-unnecessary-type-assertion': 'off' },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: platformBound.map((name) => ({
            name,
            message: 'core/ must stay platform-free (CONVENTIONS.md).',
          })),
          patterns: [{ group: ['node:*'], message: 'core/ must stay platform-free: take bytes, not paths.' }],
        },
      ],
      'no-restricted-globals': ['error', 'document', 'window', 'process'],
    },
  },
  {
    // The extension host never loads a compute runtime (CONVENTIONS.md) and never imports the webview's code:
    // they talk through core/protocol only.
    files: ['extension/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['onnxruntime-web', 'onnxruntime-node', '@tensorflow/tfjs-node'].map((name) => ({
            name,
            message: 'extension/ must not load compute runtimes (CONVENTIONS.md): the webview does.',
          })),
          patterns: [
            {
              group: ['@tensorflow/*'],
              message: 'extension/ must not load tfjs (CONVENTIONS.md): the webview does.',
            },
            {
              group: ['**/webview/**', '../webview', '../../webview'],
              message: 'extension/ talks to the webview through core/protocol only.',
            },
            {
              group: ['**/cli/**', '**/runtime/**'],
              message: 'extension/ runs the CLI as a process, never imports it.',
            },
          ],
        },
      ],
    },
  },
  {
    // Pure logic of the extension: unit-tested in Node, so it must not touch the VS Code API.
    files: ['extension/logic/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'extension/logic/ is pure (unit-tested without VS Code).' }],
          patterns: [
            {
              group: ['@tensorflow/*', 'onnxruntime-*'],
              message: 'extension/ must not load compute runtimes.',
            },
            {
              group: ['**/webview/**', '../webview', '../../webview'],
              message: 'extension/ talks to the webview through core/protocol only.',
            },
          ],
        },
      ],
    },
  },
  {
    // The webview imports core and the runtimes, never the extension host's code.
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['vscode', 'fs', 'path', 'os', 'child_process'].map((name) => ({
            name,
            message: 'webview/ runs in a browser: no VS Code API or Node modules.',
          })),
          patterns: [
            { group: ['node:*'], message: 'webview/ runs in a browser.' },
            {
              group: ['**/extension/**', '../extension'],
              message: 'webview/ talks to the host through core/protocol only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
