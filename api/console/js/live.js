// Live video over WebRTC: the page offers to receive one video track, the server answers
// (POST /cameras/{id}/live) and relays the camera's one upstream to every viewer.
// ICE is gathered before the offer is sent (the server does not trickle).

import { ApiError, api, request } from './api.js';

const STALL_MS = 8000;

export class LiveError extends Error {
  constructor(reason, detail, problem = {}) {
    super(detail ?? reason);
    this.reason = reason; // 'unsupported' | 'limit' | 'camera' | 'network'
    this.detail = detail;
    this.problem = problem; // the server's problem document: `limit`, `failure`
  }
}

function waitFor(pc, event, done, timeoutMs) {
  return new Promise((resolve, reject) => {
    if (done()) return resolve();
    const timer = setTimeout(() => {
      pc.removeEventListener(event, check);
      reject(new LiveError('network'));
    }, timeoutMs);
    function check() {
      const state = pc.connectionState;
      if (state === 'failed' || state === 'closed') {
        clearTimeout(timer);
        pc.removeEventListener(event, check);
        reject(new LiveError('network'));
      } else if (done()) {
        clearTimeout(timer);
        pc.removeEventListener(event, check);
        resolve();
      }
    }
    pc.addEventListener(event, check);
  });
}

export class LiveVideo {
  constructor(cameraId, video) {
    this.cameraId = cameraId;
    this.video = video;
    this.pc = null;
    this.viewerId = null;
  }

  // `onEnded` is called when a view that was playing drops (camera gone, network lost).
  async start({ connectTimeoutMs = 15000, onEnded = () => {} } = {}) {
    if (!('RTCPeerConnection' in window)) throw new LiveError('unsupported');
    const iceServers = (window.gridwatchConfig?.ice_servers ?? []).map((urls) => ({ urls }));
    const pc = new RTCPeerConnection({ iceServers });
    this.pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addEventListener('track', (event) => {
      this.video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
      this.video.play().catch(() => {});
    });
    await pc.setLocalDescription(await pc.createOffer());
    await waitFor(pc, 'icegatheringstatechange', () => pc.iceGatheringState === 'complete', 3000).catch(
      () => {},
    );
    let answer;
    try {
      answer = await api(`/cameras/${encodeURIComponent(this.cameraId)}/live`, {
        method: 'POST',
        body: { type: 'offer', sdp: pc.localDescription.sdp },
      });
    } catch (error) {
      this.stop();
      if (error instanceof ApiError && error.status === 429)
        throw new LiveError('limit', error.message, error.problem);
      if (error instanceof ApiError && error.status === 502)
        throw new LiveError('camera', error.message, error.problem);
      throw new LiveError('network', error.message);
    }
    this.viewerId = answer.viewer_id;
    await pc.setRemoteDescription({ type: answer.type, sdp: answer.sdp });
    try {
      await waitFor(pc, 'connectionstatechange', () => pc.connectionState === 'connected', connectTimeoutMs);
    } catch (error) {
      this.stop();
      throw error;
    }
    const ended = () => {
      if (this.pc !== pc) return;
      this.stop();
      onEnded();
    };
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') ended();
    });
    // A server or camera that stops sending does not always close the connection at once:
    // a picture that has not changed for STALL_MS counts as a view that ended.
    let frames = -1;
    let since = Date.now();
    this.watchdog = setInterval(() => {
      const now = this.video.getVideoPlaybackQuality?.().totalVideoFrames ?? 0;
      if (now !== frames) {
        frames = now;
        since = Date.now();
      } else if (Date.now() - since > STALL_MS) {
        ended();
      }
    }, 1000);
  }

  // Leaving tells the server at once (keepalive survives a page being closed).
  stop() {
    clearInterval(this.watchdog);
    this.pc?.close();
    this.pc = null;
    if (this.viewerId) {
      const path = `/cameras/${encodeURIComponent(this.cameraId)}/live/${this.viewerId}`;
      request(path, { method: 'DELETE', keepalive: true }).catch(() => {});
      this.viewerId = null;
    }
    if (this.video) this.video.srcObject = null;
  }
}
