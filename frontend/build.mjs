// Bundles frontend/src and frontend/styles into ioc/static/dist (git-ignored; ADR 0004).
import * as esbuild from "esbuild";

await esbuild.build({
  entryPoints: ["src/app.js", "src/dashboards.js", "src/wall.js", "src/layout.js", "src/editor.js", "src/mapping.js", "src/map.js", "src/pin.js", "src/cameras.js", "styles/app.css", "styles/map.css", "styles/portal.css"],
  bundle: true,
  minify: true,
  sourcemap: true,
  target: ["es2020"],
  outdir: "../ioc/static/dist",
  entryNames: "[name]",
  loader: { ".png": "file" },
  logLevel: "info",
});
