import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router } from 'express';
import { VERSION } from '../../version.js';
import { buildOpenApiDocument } from '../openapi/document.js';

// Swagger UI's own distribution (no CDN): its files are served from node_modules as they are.
const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>syncwatch API</title>
<link rel="stylesheet" href="/docs/api/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/api/assets/swagger-ui-bundle.js"></script>
<script src="/docs/api/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n`;

/** GET /openapi.json (OpenAPI 3.1, generated from the route schemas) and GET /docs/api (rendered with Swagger UI). */
export function docsRouter(publicUrl: string): Router {
  const router = Router();
  let document: string | undefined;
  router.get('/openapi.json', (_req, res) => {
    document ??= JSON.stringify(buildOpenApiDocument(VERSION, publicUrl));
    res.type('application/json').send(document);
  });
  router.get('/docs/api', (_req, res) => void res.type('text/html').send(PAGE));
  router.get('/docs/api/init.js', (_req, res) => void res.type('text/javascript').send(INIT));
  router.use('/docs/api/assets', express.static(SWAGGER_UI_DIR, { index: false, maxAge: '1d' }));
  return router;
}
