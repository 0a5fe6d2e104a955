// Public surface of openflow/. Other folders import from here only.
export {};
