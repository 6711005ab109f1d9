// The official README's file examples (CaptivateChatFileManager and conversation.fileManager),
// one after the other, run against the local hub. The code is the README's, typed against the
// official API; what differs: the import line, the three URLs of the local hub (HUB, passed
// where the official client has its hosts built in), the files the README leaves to the
// reader, a real file key where the README shows a made-up one, the array-like example with
// the signature `create` has, and a `console.log` after each claim the README makes in a
// comment, so that the test can check it. test/official.test.mjs compiles it and runs it.
import { CaptivateChatAPI, CaptivateChatFileManager } from 'captivate-chat';

const HUB = { url: process.env.HUB_WS_URL!, httpUrl: process.env.HUB_HTTP_URL!, filesUrl: process.env.HUB_FILES_URL! };
const file = new Blob(['Terms of service, version 3.'], { type: 'text/plain' });
const file1 = new File(['first file'], 'file1.txt', { type: 'text/plain' });
const file2 = new File(['second file'], 'file2.txt', { type: 'text/plain' });
const file3 = new File(['third file'], 'file3.txt', { type: 'text/plain' });

const api = await CaptivateChatAPI.create('YOUR_API_KEY', 'prod', HUB);
const conversation = await api.createConversation('file-user', {}, {}, 'user-first');

// ----- Basic File Upload (Recommended Way) -----
{
  // Upload a local file with storage (default behavior) - RECOMMENDED
  const fileInput = await conversation.fileManager.create({
    file: file,
    fileName: 'document.pdf',
    // storage defaults to true - file stored by service
    // API key and conversation ID are automatically included
  });

  // Send file with text message
  await conversation.sendMessage({
    text: "Here's the document you requested",
    files: fileInput  // No need for .files anymore!
  });
  console.log('Recommended upload:', fileInput.files[0].storage?.fileKey);
}

// ----- Basic File Upload (Legacy) -----
{
  // Upload a local file with storage (default behavior) - LEGACY
  const fileInput = await CaptivateChatFileManager.create({
    file: file,
    fileName: 'document.pdf'
    // storage defaults to true - file stored by service
  });

  // Send file with text message
  await conversation.sendMessage({
    text: "Here's the document you requested",
    files: fileInput
  });
  console.log('Legacy upload:', fileInput.files[0].storage?.fileKey);
}

// ----- File expiration (TTL) -----
{
  // Set default TTL for this conversation (e.g. 7 days); also stored in metadata
  await conversation.setTimeToLive(7);

  // Later: uploads use 7-day TTL automatically
  const fileInput = await conversation.fileManager.create({
    file: file,
    fileName: 'document.pdf'
  });
  console.log('TTL upload:', fileInput.files[0].storage?.fileKey);

  // When using CaptivateChatFileManager.create() directly (legacy), ttlDays in the options
  const legacy = await CaptivateChatFileManager.create({ file: file, fileName: 'kept-30-days.txt', ttlDays: 30 });
  console.log('Legacy TTL upload:', legacy.files[0].storage?.fileKey);
}

// ----- File Storage Options -----
{
  // File stored by the service (default behavior) - RECOMMENDED
  const fileInput = await conversation.fileManager.create({
    file: file,
    fileName: 'document.pdf'
    // storage defaults to true - file stored by service
  });
  console.log('Service storage has storage:', fileInput.files[0].storage !== undefined, 'and no url:', fileInput.files[0].url === undefined);
}
{
  // File processed without storage, provide your own URL - RECOMMENDED
  const fileInput = await conversation.fileManager.create({
    file: file,
    fileName: 'document.pdf',
    storage: false,
    url: 'https://my-bucket.s3.amazonaws.com/documents/document.pdf'  // Required
  });
  console.log('Developer storage url:', fileInput.files[0].url, 'storage:', fileInput.files[0].storage);
}
{
  // File processed without storage, provide your own URL - LEGACY
  const fileInput = await CaptivateChatFileManager.create({
    file: file,
    fileName: 'document.pdf',
    storage: false,
    url: 'https://my-bucket.s3.amazonaws.com/documents/document.pdf'  // Required
  });
  console.log('Legacy developer storage url:', fileInput.files[0].url);
}

// ----- Secure URL Management -----
{
  // Create file with storage (Recommended way)
  const fileInput = await conversation.fileManager.create({
    file: file,
    fileName: 'document.pdf'
    // storage defaults to true
  });

  // Refresh secure URL (expires in 2 hours by default)
  const refreshedUrl = await fileInput.refreshSecureUrl();
  console.log('Refreshed secure URL:', refreshedUrl);

  // Refresh secure URL with custom expiration (1 hour)
  const customUrl = await fileInput.refreshSecureUrl(3600);
  console.log('Custom secure URL:', customUrl);

  // Generate secure URL from file key directly
  const fileKey = fileInput.files[0].storage!.fileKey;
  const directUrl = await CaptivateChatFileManager.getSecureFileUrl(fileKey, 7200);
  console.log('Direct secure URL:', directUrl);
}

// ----- Convenience Methods -----
{
  // Recommended way
  const fileInput = await conversation.fileManager.create({
    file: file,
    fileName: 'document.pdf'
  });

  // Get file information easily
  console.log('Filename:', fileInput.getFilename());
  console.log('File type:', fileInput.getFileType());
  console.log('Text content:', fileInput.getTextContent());
  console.log('Text length:', fileInput.getTextContent().length);

  // Get the first file object if needed
  const firstFile = fileInput.getFirstFile();

  // Convert to files array explicitly (though not needed anymore)
  const filesArray = fileInput.toFilesArray();
  console.log('First file is the array\'s first:', firstFile === filesArray[0]);
}

// ----- Developer Storage with URL -----
{
  // Process file without service storage, provide your own URL - RECOMMENDED
  const fileInput = await conversation.fileManager.create({
    file: file,
    fileName: 'document.pdf',
    storage: false,
    url: 'https://my-bucket.s3.amazonaws.com/documents/document.pdf'  // Required
  });

  await conversation.sendMessage({
    text: "Document from my storage",
    files: fileInput  // Direct usage supported!
  });
  console.log('Sent a file from my storage');
}

// ----- Multiple Files -----
{
  // Option 1: Process multiple files with service storage (default) - RECOMMENDED
  const files = [file1, file2, file3];
  const fileInput = await conversation.fileManager.createMultiple({
    files: files
    // storage defaults to true
  });

  await conversation.sendMessage({
    text: "Multiple documents attached",
    files: fileInput  // All files processed and ready!
  });
  console.log('Multiple (service storage):', fileInput.length, fileInput.files.map((f: { filename: string }) => f.filename).join(','));
}
{
  // Option 2: Process multiple files without service storage - RECOMMENDED
  const files = [file1, file2, file3];
  const urls = [
    'https://my-bucket.s3.amazonaws.com/file1.pdf',
    'https://my-bucket.s3.amazonaws.com/file2.pdf',
    'https://my-bucket.s3.amazonaws.com/file3.pdf'
  ];

  const fileInput = await conversation.fileManager.createMultiple({
    files: files,
    storage: false,
    urls: urls  // Required when storage is false
  });

  await conversation.sendMessage({
    text: "Multiple documents from my storage",
    files: fileInput
  });
  console.log('Multiple (my storage):', fileInput.files.map((f: { url?: string }) => f.url).join(','));
}
{
  // Option 3: Process multiple files without service storage - LEGACY
  const files = [file1, file2, file3];
  const urls = [
    'https://my-bucket.s3.amazonaws.com/file1.pdf',
    'https://my-bucket.s3.amazonaws.com/file2.pdf',
    'https://my-bucket.s3.amazonaws.com/file3.pdf'
  ];

  const fileInput = await CaptivateChatFileManager.createMultiple({
    files: files,
    storage: false,
    urls: urls  // Required when storage is false
  });

  await conversation.sendMessage({
    text: "Multiple documents from my storage",
    files: fileInput
  });
  console.log('Legacy multiple:', fileInput.length);
}
{
  // Option 4: Process multiple files manually - RECOMMENDED
  const files = [file1, file2, file3];
  const fileInputs = await Promise.all(
    files.map(file => conversation.fileManager.create({
      file: file
    }))
  );

  // Combine all files
  const allFiles = fileInputs.flatMap(input => input);

  await conversation.sendMessage({
    text: "Multiple documents attached",
    files: allFiles
  });
  console.log('Manual multiple:', allFiles.length);
}
{
  // Option 4: Process multiple files manually - LEGACY
  const files = [file1, file2, file3];
  const fileInputs = await Promise.all(
    files.map(file => CaptivateChatFileManager.create({
      file: file
    }))
  );

  // Combine all files
  const allFiles = fileInputs.flatMap(input => input);

  await conversation.sendMessage({
    text: "Multiple documents attached",
    files: allFiles
  });
  console.log('Legacy manual multiple:', allFiles.length);
}

// ----- Single File Factory Method -----
{
  // Get just the file object directly (no wrapper) with service storage - RECOMMENDED
  const fileObj = await conversation.fileManager.createFile({
    file: file,
    fileName: 'document.pdf'
    // storage defaults to true
  });

  await conversation.sendMessage({
    text: "Here's the document",
    files: fileObj  // Direct usage - no array wrapping needed!
  });

  // Or with developer storage
  const fileObjWithUrl = await conversation.fileManager.createFile({
    file: file,
    fileName: 'document.pdf',
    storage: false,
    url: 'https://my-bucket.s3.amazonaws.com/document.pdf'
  });

  await conversation.sendMessage({
    text: "Here's the document from my storage",
    files: fileObjWithUrl  // Direct usage - no array wrapping needed!
  });
  console.log('Single file objects:', fileObj.filename, fileObjWithUrl.url);
}
{
  // Get just the file object directly (no wrapper) with service storage - LEGACY
  const fileObj = await CaptivateChatFileManager.createFile({
    file: file,
    fileName: 'document.pdf'
    // storage defaults to true
  });

  await conversation.sendMessage({
    text: "Here's the document",
    files: fileObj  // Direct usage - no array wrapping needed!
  });
  console.log('Legacy single file object:', fileObj.filename);
}

// ----- Array-like Behavior -----
{
  const fileInput = await CaptivateChatFileManager.create({ file: file, fileName: 'document.pdf' });

  // All of these work:
  const direct = { files: fileInput };           // Direct usage
  const traditional = { files: fileInput.files }; // Traditional usage (still supported)
  console.log('Array access:', fileInput[0].filename === fileInput.files[0].filename);
  console.log('Array length:', fileInput.length);
  console.log('Iterable:', [...fileInput].length, direct.files === fileInput, traditional.files.length);
}

console.log('== done');
