// dawn.mjs — Dawn for the Node WebGPU tests (npm `webgpu`): Chromium's SwiftShader Vulkan ICD unless
// VK_ICD_FILENAMES or VK_DRIVER_FILES name another driver (the GPU machine's), WebGPU's globals (GPUBufferUsage,
// GPUShaderStage, ...) installed on globalThis, and `create` (flags -> a navigator.gpu) exported.
//   import { create } from './dawn.mjs';   (first among the test's imports that use WebGPU)
import { existsSync } from 'node:fs';

const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(swiftshader)) {
  process.env.VK_ICD_FILENAMES = swiftshader;
}
const webgpu = await import('webgpu');
Object.assign(globalThis, webgpu.globals);
export const { create } = webgpu;
