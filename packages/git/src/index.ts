export { shadowRepoDir } from "./shadow-path.js";
