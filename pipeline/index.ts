// Public surface of pipeline/. Other folders import from here only.
export {};
