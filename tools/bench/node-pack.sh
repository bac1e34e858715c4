# node-pack.sh — sourced by the tools/bench scripts that run JavaScript on the GPU machine (which has no node):
# one pack layout, made here and unpacked there.
#
#   node_pack_prepare PACK   (here, repo root) PACK/ gets this machine's node (stripped, xz), the npm `webgpu`
#                            package with its linux-x64 dawn.node (xz) and the Vulkan loader + GLVND .debs that
#                            NVIDIA's Vulkan ICD needs; PACK is added to .git/info/exclude. About 20 MiB.
#   node_pack_unpack PACK    (there) unpacks into /tmp/sotto-node-pack once per machine, installs the .debs when
#                            the loader is missing, points Vulkan at NVIDIA's ICD, and sets NODE (the node binary)
#                            and WEBGPU (the webgpu package's index.js). On a machine without NVIDIA's ICD it uses
#                            Chromium's SwiftShader (smoke tests) and sets NODE_PACK_FALLBACK=1 (ask Dawn for the
#                            fallback adapter).
# The device tool sends only the session's checkout: PACK must sit in its root and be named in `carry`.

node_pack_prepare() {
  local pack=$1 excl w o d debs
  excl=$(git rev-parse --git-path info/exclude)
  mkdir -p "$(dirname "$excl")"
  grep -qx "/$pack/" "$excl" 2>/dev/null || echo "/$pack/" >> "$excl"
  [ -d tests/webgpu/node_modules/webgpu ] || npm ci --prefix tests/webgpu --no-audit --no-fund
  rm -rf "$pack" && mkdir -p "$pack/webgpu/dist/linux-x64" "$pack/debs"
  # ICU data cut to English (slim-node-icu.py) and stripped: 14 instead of 24 MiB, and the packs plus the tree
  # must stay under 64 MiB
  /usr/bin/python3 tools/bench/slim-node-icu.py "$(readlink -f "$(command -v node)")" /tmp/sotto-node.slim
  strip /tmp/sotto-node.slim
  xz -T2 -6 -c /tmp/sotto-node.slim > "$pack/node.xz" && rm -f /tmp/sotto-node.slim
  w=tests/webgpu/node_modules/webgpu
  cp "$w/index.js" "$w/package.json" "$pack/webgpu/"
  xz -T2 -6 -c "$w/dist/linux-x64/dawn.node" > "$pack/webgpu/dist/linux-x64/dawn.node.xz"
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  mkdir -p /tmp/amd64/partial
  apt-get $o update -qq
  # the Vulkan loader, and the GLVND libraries NVIDIA's Vulkan ICD (libGLX_nvidia) loads (the device README's set)
  debs="libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2"
  (cd "$pack/debs" && apt-get $o download $debs >/dev/null)
  for d in $debs; do  # apt-get has been seen to skip one silently
    ls "$pack/debs/${d}_"*.deb >/dev/null 2>&1 || (cd "$pack/debs" && apt-get $o download "$d" >/dev/null)
    ls "$pack/debs/${d}_"*.deb >/dev/null 2>&1 || { echo "node-pack: could not download $d" >&2; return 1; }
  done
}

node_pack_unpack() {
  local pack=$1 tmp=/tmp/sotto-node-pack f
  [ -f "$pack/node.xz" ] || { echo "node-pack: $pack/node.xz missing: make the pack here first and carry $pack" >&2; return 1; }
  mkdir -p "$tmp/webgpu/dist/linux-x64"
  [ -x "$tmp/node" ] || { xz -dc "$pack/node.xz" > "$tmp/node.part" && chmod +x "$tmp/node.part" && mv "$tmp/node.part" "$tmp/node"; }
  cp "$pack/webgpu/index.js" "$pack/webgpu/package.json" "$tmp/webgpu/"
  [ -f "$tmp/webgpu/dist/linux-x64/dawn.node" ] ||
    { xz -dc "$pack/webgpu/dist/linux-x64/dawn.node.xz" > "$tmp/dawn.part" && mv "$tmp/dawn.part" "$tmp/webgpu/dist/linux-x64/dawn.node"; }
  # the loader, and on an NVIDIA machine the GLVND libraries its Vulkan ICD needs
  if ! ldconfig -p | grep -q libvulkan.so.1 || { [ -d /usr/local/nvidia ] && ! ldconfig -p | grep -q libGLX.so.0; }; then
    for f in "$pack"/debs/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  NODE_PACK_FALLBACK=0
  if [ -f "$icd" ]; then
    export VK_DRIVER_FILES=${VK_DRIVER_FILES:-$icd}
  elif [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -e /usr/lib/chromium/vk_swiftshader_icd.json ]; then
    export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json  # a CPU machine: smoke tests on SwiftShader
    NODE_PACK_FALLBACK=1
  fi
  NODE=$tmp/node
  WEBGPU=$tmp/webgpu/index.js
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
  "$NODE" --version
}
