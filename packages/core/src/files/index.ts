export { FileWatchers, type FileWatchersOptions } from "./file-watchers.js";
