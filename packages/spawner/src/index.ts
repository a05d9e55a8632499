export { sanitizeText } from "./sanitize.js";
