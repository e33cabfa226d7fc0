// S3 datastore against s3rver: the fault tests of durable delivery.
import { describe } from 'node:test';
import { S3RVER_ENV, type S3rver, startS3rver } from '@model-data-collector/test-support/emulators';
import { faultSuite } from '@model-data-collector/test-support/fault-suite';
import { s3Lines } from '@model-data-collector/test-support/stored-lines';

describe('s3 datastore faults', () => {
  let s3: S3rver;
  faultSuite({
    name: 's3',
    env: S3RVER_ENV,
    async start() {
      s3 = await startS3rver();
      return s3;
    },
    create: (bucket) => s3.createBucket(bucket),
    datastore: (bucket) => ({ type: 's3', bucket, endpoint: s3.endpoint, force_path_style: true }),
    badCredentials: (bucket) => ({
      datastore: { type: 's3', bucket, endpoint: s3.endpoint, force_path_style: true },
      env: { AWS_ACCESS_KEY_ID: 'WRONGKEY', AWS_SECRET_ACCESS_KEY: 'wrong-secret' },
    }),
    lines: (bucket) => s3Lines(s3.client, bucket),
  });
});
