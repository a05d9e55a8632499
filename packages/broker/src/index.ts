export { formatMessageNotice, RULES_UPDATED_NOTICE } from "./notice.js";
