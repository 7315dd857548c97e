export { clusterBinaries, ClusterBinaries, pinnedVersions } from './binaries'
export { Cluster, ClusterOptions, CRDS_DIR, startCluster } from './cluster'
export { CertificateAuthority, Certificate, CertificateRequest, generateKeyPair } from './pki'
export { SharedClusterOptions, useSharedCluster } from './shared'
