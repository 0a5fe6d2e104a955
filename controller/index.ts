// Public surface of controller/. Other folders import from here only.
export {};
