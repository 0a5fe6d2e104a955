// Public surface of storage/. Other folders import from here only.
export {};
