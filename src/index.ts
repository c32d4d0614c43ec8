/**
 * The Probot entry point (`probot run ./dist/index.js`, i.e. `npm start`). PostHog settings come from the
 * environment; see README.md "Environment variables".
 */
import { createApp } from "./app/index.js";

export { createApp } from "./app/index.js";
export default createApp();
