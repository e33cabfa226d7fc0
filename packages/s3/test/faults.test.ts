// S3 datastore against s3rver: the fault tests of durable delivery.
import { describe } from 'node:test';
import { faultSuite } from '../../sdk/test/spool/fault-suite.js';
import { S3RVER_ENV, type S3rver, s3Lines, startS3rver } from '../../sdk/test/spool/harness.js';

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
