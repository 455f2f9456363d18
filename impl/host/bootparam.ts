/** mic_bootparam_init (facts §5.1): the host's view of the boot parameter block in its device page. */
import type { MemPort } from '../../model/contract.ts';
import { bootParam, MIC_DB_NONE, MIC_MAGIC } from '../../model/layout/device-page.ts';
import { writeField } from '../memory/fields.ts';

export function bootParamInit(mem: MemPort, dp: number, c2hShutdownDb: number): void {
  const f = bootParam.fields;
  mem.fill(dp, bootParam.size, 0);
  writeField(mem, dp, f.magic, MIC_MAGIC);
  writeField(mem, dp, f.c2h_shutdown_db, c2hShutdownDb);
  writeField(mem, dp, f.h2c_shutdown_db, MIC_DB_NONE);
  writeField(mem, dp, f.h2c_config_db, MIC_DB_NONE);
  writeField(mem, dp, f.shutdown_status, 0);
  writeField(mem, dp, f.shutdown_card, 0);
}
