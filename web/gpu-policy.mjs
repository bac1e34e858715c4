// gpu-policy.mjs — which WebGPU adapter a worker may use, from the Settings choice: 'cpu' (none), 'auto' (a
// hardware adapter only: a software one such as SwiftShader is slower than the wasm CPU engine) or 'webgpu'
// (any adapter). Shared by the note engine's and the speech recognizer's workers.
//   const { host, error } = await pickAdapter(backend)   a GpuHost, or the sentence that says why not
import { GpuHost } from '../wasm/gpu-host.mjs';

export async function pickAdapter(backend) {
  if (backend === 'cpu') return { error: 'the wasm CPU engine was chosen in Settings' };
  if (!self.navigator?.gpu) return { error: 'this browser has no WebGPU (navigator.gpu)' };
  const host = await GpuHost.tryCreate(self.navigator.gpu);
  if (!host) return { error: 'WebGPU gave no adapter' };
  const info = host.adapter.info ?? {};
  if (backend === 'auto' && (info.isFallbackAdapter ?? host.adapter.isFallbackAdapter)) {
    const name = [info.vendor, info.architecture].filter((x) => x).join(' ') || 'software';
    host.device.destroy?.();
    return { error: `the WebGPU adapter is a software one (${name}), slower than the wasm CPU engine ` +
                     '(Settings can choose it anyway)' };
  }
  return { host };
}

// A short name of the adapter: 'vendor architecture' and ', software' for a fallback adapter.
export function adapterName(host) {
  const info = host.adapter.info ?? {};
  const name = [info.vendor, info.architecture].filter((x) => x).join(' ') || 'unknown adapter';
  return (info.isFallbackAdapter ?? host.adapter.isFallbackAdapter) ? `${name}, software` : name;
}
