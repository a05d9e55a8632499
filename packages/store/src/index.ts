export { ensureDataDir, dataDirLayout, resolveDataDir, type DataDirLayout } from "./data-dir.js";
