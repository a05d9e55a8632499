export { formatMessageNotice, RULES_UPDATED_NOTICE } from "./notice.js";
export { Broker, type BrokerOptions, type DeliveryPort } from "./broker.js";
