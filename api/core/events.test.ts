import { eventBusContract } from './events.contract';
import { InProcessBus } from './events';

eventBusContract(
  'InProcessBus',
  (db, onError) => new InProcessBus({ afterCommit: (fn) => db.afterCommit(fn), onError }),
);
