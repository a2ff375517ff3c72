import { definePolicy, presets } from 'express-privacy-log';

const gdpr = presets.gdpr;
export const policy = definePolicy({
  ...gdpr,
  name: 'my-shop',
  categories: {
    ...gdpr.categories,
    client: { ...gdpr.categories.client, geo: 'country', retention: 'P3M' },
    essential: { ...gdpr.categories.essential, query: { allow: ['page'] } },
  },
});
