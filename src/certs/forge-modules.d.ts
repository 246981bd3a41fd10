// node-forge's typings cover only its index module, which also loads TLS, SSH,
// PKCS#12 and more (~20 ms of start-up lab does not need). lab imports the two
// modules it uses; each returns its part of the forge namespace as module.exports.
declare module 'node-forge/lib/x509.js' {
  import type forge from 'node-forge';
  const pki: typeof forge.pki;
  export default pki;
}

declare module 'node-forge/lib/asn1.js' {
  import type forge from 'node-forge';
  const asn1: typeof forge.asn1;
  export default asn1;
}
