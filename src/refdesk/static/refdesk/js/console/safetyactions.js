// What the safety panels' buttons do beyond the console's own actions: blocking a patron,
// reporting an incident, alerting a supervisor. These are filled in by the blocks module
// (blocks, incidents) and the supervisors' module (alerts); until then they do nothing.
// views/safety.js imports exactly these three names.

// Open the dialog that blocks the chat's patron (reason, 1 / 7 / 30 days).
export function openBlockDialog(_chatId) {}

// Open the dialog that reports an incident for the chat; kind is "abuse", "threat" or
// "crisis" (the flag that opened the panel).
export function openIncidentDialog(_chatId, _kind) {}

// Alert every online supervisor that this chat needs them.
export function alertSupervisor(_chatId) {}
