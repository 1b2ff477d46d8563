/**
 * The `main` of every service process (the two routes and the gRPC writer):
 * config, logger, start, and a graceful stop on SIGTERM or SIGINT.
 */
import { describeConfig, loadConfigOrExit, type ConfigOf, type Spec } from '../config.ts';
import { createLogger, type Logger } from '../log.ts';

export interface RunningService {
  close(): Promise<void>;
}

/**
 * Loads the config (exit 78 naming a bad variable), logs the settings once,
 * starts the service and closes it on the first SIGTERM or SIGINT, then exits
 * 0. A start-up failure is logged and exits 1; a second signal exits 1 at once.
 */
export async function runService<S extends Spec>(
  name: string,
  spec: S,
  start: (config: ConfigOf<S> & { logLevel: string }, logger: Logger) => Promise<RunningService>,
): Promise<void> {
  const config = loadConfigOrExit(spec) as ConfigOf<S> & { logLevel: string };
  const logger = createLogger(name, config.logLevel);
  logger.info({ settings: describeConfig(spec, config) }, 'starting');

  let service: RunningService;
  try {
    service = await start(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'start failed');
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');

    service
      .close()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };

  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
