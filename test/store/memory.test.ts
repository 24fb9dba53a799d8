import { MemoryStore } from '../../src/store/index.js';
import { storeContract } from './contract.js';
import { taskStoreContract } from './task-contract.js';

storeContract('memory', async () => {
  const store = new MemoryStore();
  await store.init();
  return store;
});

taskStoreContract('memory', async () => {
  const store = new MemoryStore();
  await store.init();
  return store;
});
