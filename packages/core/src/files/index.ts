export { FileWatchers, type FileWatchersOptions } from "./file-watchers.js";
export { GitIgnoreMatcher, type GitIgnoreMatcherOptions } from "./ignore-matcher.js";
