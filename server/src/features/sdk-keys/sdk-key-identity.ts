/** What an SDK key authenticates: its id, type and environment. */
export interface SdkKeyIdentity {
  id: number;
  type: 'server' | 'client';
  environmentId: number;
  environment: string;
}
