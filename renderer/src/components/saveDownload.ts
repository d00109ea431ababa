import type { FileDownload } from '../../../shared/rpc.js';

/** Hands the bytes to the browser as a file download (a Blob link: works in browser mode and in Electron alike). */
export function saveDownload(download: FileDownload): void {
  const binary = atob(download.base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: download.contentType || 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = download.fileName;
  link.rel = 'noopener';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // The click has started the download by the time the next task runs.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
