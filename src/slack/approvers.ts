import type { webApi } from '@slack/bolt';
import type { ApproverDirectory } from '../access/ports';
import type { ApproverList } from '../config';

/** APPROVERS resolved at click time: listed user IDs, or current members of listed usergroups. */
export class SlackApproverDirectory implements ApproverDirectory {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly approvers: ApproverList,
  ) {}

  async isApprover(userId: string): Promise<boolean> {
    if (this.approvers.userIds.includes(userId)) return true;
    for (const usergroup of this.approvers.usergroupIds) {
      const out = await this.client.usergroups.users.list({ usergroup });
      if (out.users?.includes(userId)) return true;
    }
    return false;
  }
}
