'use strict';
// ESLint settings for `make lint`: the recommended rules, for CommonJS modules on Node.js.
// https://eslint.org/docs/latest/use/configure/configuration-files

const js = require('@eslint/js');
const globals = require('globals');

module.exports = [
  js.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'commonjs',
      globals: globals.node,
    },
  },
];
